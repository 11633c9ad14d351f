// The JS SDK v3's default credential chain, as any Node program gets it: prints the caller's
// ARN and the access key it signed with, one JSON line. Used by test_clients.py.
const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");

async function main() {
  const client = new STSClient({});
  const identity = await client.send(new GetCallerIdentityCommand({}));
  const creds = await client.config.credentials();
  console.log(JSON.stringify({ arn: identity.Arn, key: creds.accessKeyId }));
}

main().catch((error) => {
  console.error(`whoami.js: ${error.name}: ${error.message}`);
  process.exit(1);
});
