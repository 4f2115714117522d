/**
 * Authorization in two layers. Guard checks the Tessera token: its signature, revocation,
 * scope and project restrictions. The tracker then applies its own roles per project. A
 * project that either layer does not allow gets the same response as a project that does not
 * exist, so a token cannot learn which projects exist outside its grant.
 */
import type { Guard, Principal } from '@tessera/guard';
import { JiraError } from './jira-errors.js';
import type { Role, RoleStore } from './roles.js';
import type { Author, Project, TrackerStore } from './store.js';

/** Converts the service account into the author recorded on issues and comments, with its client id as the user name. */
export function authorOf(principal: Principal): Author {
  return { name: principal.clientId, displayName: principal.clientId, accountId: principal.accountId };
}

/** Jira's messages when a user may see a project but lacks the permission for a change. */
export const PERMISSION_MESSAGES = {
  createIssue: 'You do not have permission to create issues in this project.',
  editIssue: 'You do not have permission to edit issues in this project.',
  transitionIssue: 'You do not have permission to transition issues in this project.',
  addComment: 'You do not have the permission to comment on this issue.',
} as const;

export class ProjectAccess {
  constructor(
    private readonly guard: () => Guard,
    private readonly roles: RoleStore,
  ) {}

  /**
   * Returns the tracker role of the token's account in the project, or undefined when the
   * token's project restrictions or the tracker's roles leave the project out.
   */
  roleIn(principal: Principal, project: Project): Role | undefined {
    if (this.guard().requireResource(principal, { type: 'project', id: project.key })) return undefined;
    return this.roles.roleOf(project.key, principal);
  }

  canSee(principal: Principal, project: Project): boolean {
    return this.roleIn(principal, project) !== undefined;
  }

  visibleProjects(principal: Principal, store: TrackerStore): Project[] {
    return store.listProjects().filter((project) => this.canSee(principal, project));
  }

  /** Throws a Jira 403 unless the account is a developer in the project; call it after checking visibility. */
  requireDeveloper(principal: Principal, project: Project, message: string): void {
    if (this.roleIn(principal, project) !== 'developer') throw JiraError.forbidden(message);
  }
}
