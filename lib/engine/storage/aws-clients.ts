import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EngineConfig } from '../config.js';

export interface AwsClients {
  s3: S3Client;
  /** The raw client: tests and the fault injector add middleware here. */
  dynamodb: DynamoDBClient;
  doc: DynamoDBDocumentClient;
}

/** Local emulators accept any credentials; AWS uses the default provider chain. */
const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface LocalCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * `s3Credentials` is for an S3_ENDPOINT that checks keys (MinIO: secrets of 8+ characters);
 * s3rver and DynamoDB Local accept anything.
 */
export function createAwsClients(
  config: Pick<EngineConfig, 'region' | 's3Endpoint' | 'dynamodbEndpoint'>,
  s3Credentials: LocalCredentials = LOCAL_CREDENTIALS,
): AwsClients {
  const s3 = new S3Client({
    region: config.region,
    ...(config.s3Endpoint
      ? { endpoint: config.s3Endpoint, forcePathStyle: true, credentials: s3Credentials }
      : {}),
    // s3rver and older MinIO reject the SDK's default flexible checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const dynamodb = new DynamoDBClient({
    region: config.region,
    ...(config.dynamodbEndpoint ? { endpoint: config.dynamodbEndpoint, credentials: LOCAL_CREDENTIALS } : {}),
  });
  const doc = DynamoDBDocumentClient.from(dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return { s3, dynamodb, doc };
}
