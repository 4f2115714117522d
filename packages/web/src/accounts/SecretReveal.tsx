import { CopyButton } from '../components/CopyButton';
import { Notice } from '../components/Notice';
import { Time } from '../components/Time';
import type { TokenCommand } from './token-command';

interface SecretRevealProps {
  clientId: string;
  secret: string;
  expiresAt: string | null;
  commands: TokenCommand[];
}

/** Shows a new client secret once, with copy buttons and token requests ready to run. */
export function SecretReveal({ clientId, secret, expiresAt, commands }: SecretRevealProps) {
  return (
    <div className="secret-reveal">
      <Notice kind="warning">
        <strong>Copy the client secret now.</strong> It will not be shown again: Tessera keeps only a hash of it. If it is lost, create a new credential.
      </Notice>
      <dl className="secret-fields">
        <dt>Client ID</dt>
        <dd>
          <code className="secret-value" data-testid="client-id">
            {clientId}
          </code>
          <CopyButton text={clientId} what="client ID" />
        </dd>
        <dt>Client secret</dt>
        <dd>
          <code className="secret-value" data-testid="client-secret">
            {secret}
          </code>
          <CopyButton text={secret} what="client secret" />
        </dd>
        <dt>Expires</dt>
        <dd>{expiresAt ? <Time value={expiresAt} format="datetime" /> : 'Never'}</dd>
      </dl>
      <h3>Request a token</h3>
      {commands.map(({ key, instance, command }) => (
        <div key={key} className="command">
          {commands.length > 1 && instance ? <p className="field-hint">For {instance.name}:</p> : null}
          <pre className="command-text">
            <code>{command}</code>
          </pre>
          <CopyButton text={command} what={commands.length > 1 && instance ? `token request for ${instance.name}` : 'token request'} />
        </div>
      ))}
    </div>
  );
}
