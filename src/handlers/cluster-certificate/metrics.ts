import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { daysToExpiry } from '../../kong/certificate-profile';
import { CERTIFICATE_METRICS } from './contract';
import { certificateNotAfter } from './x509';

/**
 * Publishes the certificate's days to expiry and, after a rotation, the number of rollouts that
 * failed to start. Best effort: a metric that cannot be written is logged, never fails the request
 * (the expiry alarm treats missing data as breaching, so a broken publisher is still seen).
 */
export async function publishCertificateMetrics(
  label: string,
  cert: string,
  now: Date,
  rolloutFailures?: number,
): Promise<void> {
  const dimensions = [{ Name: CERTIFICATE_METRICS.dimension, Value: label }];
  const client = new CloudWatchClient({});
  try {
    await client.send(
      new PutMetricDataCommand({
        Namespace: CERTIFICATE_METRICS.namespace,
        MetricData: [
          {
            MetricName: CERTIFICATE_METRICS.daysToExpiry,
            Dimensions: dimensions,
            Timestamp: now,
            Unit: 'None',
            Value: Math.round(daysToExpiry(certificateNotAfter(cert), now) * 100) / 100,
          },
          ...(rolloutFailures === undefined
            ? []
            : [
                {
                  MetricName: CERTIFICATE_METRICS.rolloutFailures,
                  Dimensions: dimensions,
                  Timestamp: now,
                  Unit: 'Count' as const,
                  Value: rolloutFailures,
                },
              ]),
        ],
      }),
    );
  } catch (error) {
    console.log(
      JSON.stringify({ handler: 'cluster-certificate', metrics: 'not published', error: (error as Error)?.name }),
    );
  } finally {
    client.destroy();
  }
}
