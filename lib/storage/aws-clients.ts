import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { StrataConfig } from '../config.js';

export interface AwsClients {
  s3: S3Client;
  /** The raw client: tests and the fault injector add middleware here. */
  dynamodb: DynamoDBClient;
  doc: DynamoDBDocumentClient;
}

/** Local emulators accept any credentials; AWS uses the default provider chain. */
const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export function createAwsClients(config: Pick<StrataConfig, 'region' | 's3Endpoint' | 'dynamodbEndpoint'>): AwsClients {
  const s3 = new S3Client({
    region: config.region,
    ...(config.s3Endpoint
      ? { endpoint: config.s3Endpoint, forcePathStyle: true, credentials: LOCAL_CREDENTIALS }
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
