import { CustomResource, CustomResourceProps, Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { DATABASE_IAM_USER_RESOURCE_TYPE } from '../handlers/database-iam-user/contract';
import { KongHandlerProvider } from './kong-handler-provider';

/** Properties of {@link DatabaseIamUserHandler}. */
export interface DatabaseIamUserHandlerProps {
  /** VPC of the database; the function runs in its private subnets. */
  readonly vpc: ec2.IVpc;
  /** The function's own security group, allowed to the database port. */
  readonly securityGroup: ec2.ISecurityGroup;
}

/**
 * The database-iam-user Lambda function and its Provider, one per database: the function runs in the
 * database's VPC (the instance is private) and may read that database's master secret only
 * ({@link KongDatabase} grants it). It creates the role Kong signs in as with `pg_iam_auth`.
 */
export class DatabaseIamUserHandler extends KongHandlerProvider {
  constructor(scope: Construct, id: string, props: DatabaseIamUserHandlerProps) {
    super(scope, id, {
      handler: 'database-iam-user',
      title: 'Kong database IAM-user handler',
      description: "Creates the IAM-authenticated PostgreSQL role Kong's control plane signs in as (rds_iam)",
      // One connection, a handful of statements; RDS may still be settling right after creation.
      timeout: Duration.minutes(2),
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [props.securityGroup],
    });
  }

  /** A {@link DATABASE_IAM_USER_RESOURCE_TYPE} custom resource served by this handler. */
  public customResource(scope: Construct, id: string, properties: CustomResourceProps['properties']): CustomResource {
    return this.serve(scope, id, DATABASE_IAM_USER_RESOURCE_TYPE, properties);
  }
}
