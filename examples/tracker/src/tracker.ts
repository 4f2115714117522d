import type { Guard } from '@tessera/guard';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { ProjectAccess } from './access.js';
import { registerGuardHooks } from './guard-hooks.js';
import { JiraError } from './jira-errors.js';
import type { RoleStore } from './roles.js';
import type { RouteContext } from './route-context.js';
import { registerCommentRoutes } from './routes/comments.js';
import { registerIssueRoutes } from './routes/issues.js';
import { registerMyselfRoute } from './routes/myself.js';
import { registerProjectRoutes } from './routes/projects.js';
import { registerSearchRoutes } from './routes/search.js';
import { registerTransitionRoutes } from './routes/transitions.js';
import { createSampleStore } from './seed.js';
import { StoreLimitError, type TrackerStore } from './store.js';

export interface TrackerOptions {
  roles: RoleStore;
  /** Default: the sample projects and issues of `createSampleStore`. */
  store?: TrackerStore;
  /** A pino logger, or another with pino's methods; default: no logging. */
  logger?: FastifyBaseLogger;
  /**
   * The URL clients use, for `self` links. Default: `http://<host>:<port>` of `listen`. It
   * should equal the audience of the tracker's instance in Tessera.
   */
  publicUrl?: string;
}

/** Largest request body accepted; an issue or comment is far smaller. */
const BODY_LIMIT_BYTES = 256 * 1024;

/**
 * A small issue tracker that implements part of the Jira Server REST API version 2 under
 * `/rest/api/2`. Call `listen`, then `useGuard` with a guard whose audience is the tracker's
 * URL: until then every request gets a 503.
 */
export class Tracker {
  readonly app: FastifyInstance;
  readonly store: TrackerStore;
  readonly roles: RoleStore;
  private guard: Guard | undefined;
  private publicUrl: string | undefined;

  constructor(options: TrackerOptions) {
    this.store = options.store ?? createSampleStore();
    this.roles = options.roles;
    this.publicUrl = options.publicUrl?.replace(/\/+$/, '');
    this.app = options.logger
      ? Fastify({ loggerInstance: options.logger, bodyLimit: BODY_LIMIT_BYTES })
      : Fastify({ logger: false, bodyLimit: BODY_LIMIT_BYTES });

    const context: RouteContext = {
      store: this.store,
      access: new ProjectAccess(() => this.requireGuard(), this.roles),
      baseUrl: () => this.baseUrl,
    };
    // The API takes JSON only; other bodies get a 415, as in Jira.
    this.app.removeContentTypeParser('text/plain');
    registerGuardHooks(this.app, () => this.guard);
    this.app.setErrorHandler((error: FastifyError, request, reply) => this.sendError(error, request.id, reply));
    this.app.setNotFoundHandler((request) => {
      throw JiraError.notFound(`No resource at ${request.method} ${request.url.split('?')[0].slice(0, 200)}; this tracker implements part of /rest/api/2.`);
    });

    registerProjectRoutes(this.app, context);
    registerIssueRoutes(this.app, context);
    registerTransitionRoutes(this.app, context);
    registerCommentRoutes(this.app, context);
    registerSearchRoutes(this.app, context);
    registerMyselfRoute(this.app, context);
  }

  /** The public base URL, known once the tracker listens or from the `publicUrl` option. */
  get baseUrl(): string {
    if (!this.publicUrl) throw new Error('the tracker has no base URL before it listens');
    return this.publicUrl;
  }

  /** Starts listening and returns the base URL. Port 0 picks a free port. */
  async listen(options: { host: string; port: number }): Promise<string> {
    await this.app.listen(options);
    const address = this.app.server.address();
    if (address === null || typeof address === 'string') throw new Error(`the tracker listens on an unexpected address: ${String(address)}`);

    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.publicUrl ??= `http://${host}:${address.port}`;
    return this.publicUrl;
  }

  /** Starts `guard` and protects the API with it. The tracker closes the guard in `close`. */
  async useGuard(guard: Guard): Promise<void> {
    if (guard.options.profile.name !== 'jira') throw new Error(`the tracker needs a guard with the jira profile, not ${guard.options.profile.name}`);
    await guard.start();
    this.guard = guard;
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.guard?.close();
  }

  private requireGuard(): Guard {
    if (!this.guard) throw new Error('the tracker has no guard yet');
    return this.guard;
  }

  private sendError(error: FastifyError, requestId: string, reply: FastifyReply) {
    let jiraError: JiraError;
    if (error instanceof JiraError) {
      jiraError = error;
    } else if (error instanceof StoreLimitError) {
      jiraError = JiraError.badRequest(error.message);
    } else if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      // Fastify's own rejections: malformed JSON, a wrong content type, a body over the limit.
      jiraError = new JiraError(error.statusCode, [error.message]);
    } else {
      reply.log.error({ err: error, requestId }, 'request failed');
      jiraError = new JiraError(500, [`Internal server error; the tracker's log has the details under request id ${requestId}.`]);
    }
    return reply.code(jiraError.status).headers(jiraError.headers).send(jiraError.body());
  }
}
