import { Token } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { KongFleetError } from '../kong/errors';
import { isDnsName } from '../kong/net';

/** A DNS name for a record in `zone`: lower-case, valid, and inside the zone. */
export function validateHostname(hostname: string, zone: route53.IHostedZone, where: string): void {
  if (Token.isUnresolved(hostname)) return;
  // A record name: lower-case (Route 53 stores it so) with at least two labels.
  if (hostname !== hostname.toLowerCase() || !hostname.includes('.') || !isDnsName(hostname)) {
    throw new KongFleetError(where, 'is not a DNS name', { got: hostname, expected: 'e.g. cluster.kong.example.com' });
  }
  if (Token.isUnresolved(zone.zoneName)) return;
  const zoneName = zone.zoneName.replace(/\.$/, '');
  if (!hostname.endsWith(`.${zoneName}`)) {
    throw new KongFleetError(where, 'is outside the hosted zone', {
      got: hostname,
      expected: `a name under ${zoneName}`,
    });
  }
}
