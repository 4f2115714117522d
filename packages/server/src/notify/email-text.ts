import type { NotificationPayload } from './events.js';

function days(count: number): string {
  return `${count} day${count === 1 ? '' : 's'}`;
}

/** Builds the subject and plain-text body of the email for one event. */
export function emailMessage(payload: NotificationPayload): { subject: string; text: string } {
  const { account, credential, dormancy } = payload;
  const header = [`Service account: ${account.name} (${account.id})`, `Client id: ${account.clientId}`, ...(account.owner ? [`Owner: ${account.owner}`] : [])];
  const footer = ['', `Account page: ${account.url}`, '', `Event ${payload.id} sent by Tessera at ${payload.createdAt}.`];

  switch (payload.type) {
    case 'credential.expiring':
      return {
        subject: `[Tessera] A credential of ${account.name} expires in ${days(credential!.daysLeft)}`,
        text: [
          ...header,
          `Credential: ${credential!.id}`,
          `Expires at: ${credential!.expiresAt} (in ${days(credential!.daysLeft)})`,
          '',
          credential!.type === 'public_key'
            ? 'Replace the key before it expires: have the job that uses it make a new key pair, register the new public key on the account page under Credentials, then revoke this one. Assertions signed with the old key fail once it expires.'
            : 'Rotate the credential before it expires: on the account page, open Credentials and choose Rotate, then give the new secret to the job that uses it. Clients that still use the old secret fail once it expires.',
          ...footer,
        ].join('\n'),
      };
    case 'credential.expired':
      return {
        subject: `[Tessera] A credential of ${account.name} has expired`,
        text: [
          ...header,
          `Credential: ${credential!.id}`,
          `Expired at: ${credential!.expiresAt}`,
          '',
          credential!.type === 'public_key'
            ? 'Token requests signed with this key now fail. Register a new public key on the account page for the job that uses the account, or delete the account if nothing needs it any more.'
            : 'Token requests with this credential now fail. Create a new credential on the account page and give its secret to the job that uses the account, or delete the account if nothing needs it any more.',
          ...footer,
        ].join('\n'),
      };
    case 'account.dormant_warning':
      return {
        subject: `[Tessera] ${account.name} becomes dormant in ${days(dormancy!.daysLeft)}`,
        text: [
          ...header,
          `Unused since: ${dormancy!.idleSince}`,
          `Becomes dormant at: ${dormancy!.dormantAt}`,
          '',
          `The account has not requested a token for a long time. The organisation policy ${dormancy!.action === 'disable' ? 'disables' : 'flags'} accounts unused for ${days(dormancy!.afterDays)}. If the account is still needed, let it request a token before then; otherwise delete it.`,
          ...footer,
        ].join('\n'),
      };
    case 'account.dormant':
      return {
        subject: `[Tessera] ${account.name} is dormant${dormancy!.action === 'disable' ? ' and was disabled' : ''}`,
        text: [
          ...header,
          `Unused since: ${dormancy!.idleSince}`,
          `Dormant since: ${dormancy!.dormantSince ?? dormancy!.dormantAt}`,
          '',
          dormancy!.action === 'disable'
            ? 'The account was disabled because it was unused for the period the organisation policy sets, and its tokens were revoked. An admin can enable it again on the account page.'
            : 'The account was flagged as dormant because it was unused for the period the organisation policy sets. It still works; the flag clears when it requests a token again. Delete it if nothing needs it.',
          ...footer,
        ].join('\n'),
      };
  }
}
