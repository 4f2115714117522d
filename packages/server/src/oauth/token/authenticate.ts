import type { ServerContext } from '../../context.js';
import { authenticateClient, extractClientCredentials } from '../client-auth.js';
import type { TokenRequest } from './context.js';

export async function authenticate(ctx: ServerContext, request: TokenRequest): Promise<void> {
  const credentials = extractClientCredentials(request.authorization, request.params);
  request.presentedClientId = credentials.clientId;
  request.client = await authenticateClient(ctx, credentials, request.sourceIp);
}
