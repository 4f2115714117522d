/** The commands the demo prints once Tessera and the tracker run. */
export interface DemoSetup {
  issuer: string;
  trackerUrl: string;
  adminPassword: string;
  automation: { name: string; clientId: string; clientSecret: string };
  panelBuilt: boolean;
  dataDirectory: string;
}

/** A shell snippet that prints the access_token of a token response read from standard input, with node instead of jq. */
const EXTRACT_TOKEN = `node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token'`;

export function demoInstructions(setup: DemoSetup): string {
  const { issuer, trackerUrl, automation } = setup;
  const api = `${trackerUrl}/rest/api/2`;
  const auth = '-H "Authorization: Bearer $TOKEN"';
  const panel = setup.panelBuilt
    ? `Admin panel: ${issuer}/ (sign in as admin with the password ${setup.adminPassword})`
    : `Admin panel: not built; run \`npm run build\` once and restart the demo to use it. Admin password: ${setup.adminPassword}`;

  return `
Tessera runs at ${issuer}, the tracker at ${trackerUrl} (data and logs in ${setup.dataDirectory}).
${panel}

The service account "${automation.name}" has WRITE on project ABC in Tessera, and the tracker
gives it the role developer on ABC. Every account is a viewer in ABC, OPS and WEB.

1. Get an access token for the account:

   TOKEN=$(curl -s -u '${automation.clientId}:${automation.clientSecret}' -d grant_type=client_credentials ${issuer}/oauth/token | ${EXTRACT_TOKEN})

2. See who you are, and list the projects you can see (only ABC):

   curl -s ${auth} ${api}/myself
   curl -s ${auth} ${api}/project

3. List the open issues of ABC, and create one:

   curl -s ${auth} -G --data-urlencode 'jql=project = ABC AND status = Open ORDER BY created DESC' ${api}/search
   curl -s ${auth} -H 'Content-Type: application/json' -d '{"fields":{"project":{"key":"ABC"},"summary":"Nightly export failed","issuetype":{"name":"Bug"}}}' ${api}/issue

4. Try another project: OPS is outside the token's grant, so it looks as if it did not exist
   (404 for the issue, 400 for the search):

   curl -s -i ${auth} ${api}/issue/OPS-1
   curl -s ${auth} -G --data-urlencode 'jql=project = OPS' ${api}/search

5. Ask for a read-only token and try to write: 403 with WWW-Authenticate: Bearer error="insufficient_scope":

   TOKEN=$(curl -s -u '${automation.clientId}:${automation.clientSecret}' -d grant_type=client_credentials -d scope=READ ${issuer}/oauth/token | ${EXTRACT_TOKEN})
   curl -s -i ${auth} -H 'Content-Type: application/json' -d '{"body":"looks good"}' ${api}/issue/ABC-1/comment

6. Every request above is in Tessera's audit log as an api.request event with the account,
   the credential, the route and the status: open the audit log in the panel.

Press Ctrl+C to stop both servers and delete the demo data.
`;
}
