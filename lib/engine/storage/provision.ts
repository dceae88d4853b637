import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { EngineConfig } from '../config.js';

/**
 * Table layouts. In AWS the CDK construct creates the same tables; locally `ensureStorage` does.
 *  - meta:  pk (S) + sk (S). Topics, partition heads, segment records, orphans, groups, producers.
 *  - index: pk (S) = "<topicId>#<partition>", sk (N) = the batch's last offset.
 */
export const META_KEY_SCHEMA = { partitionKey: 'pk', sortKey: 'sk', sortKeyType: 'S' } as const;
export const INDEX_KEY_SCHEMA = { partitionKey: 'pk', sortKey: 'sk', sortKeyType: 'N' } as const;

async function ensureTable(
  dynamodb: DynamoDBClient,
  name: string,
  schema: { partitionKey: string; sortKey: string; sortKeyType: 'S' | 'N' },
): Promise<void> {
  try {
    await dynamodb.send(new DescribeTableCommand({ TableName: name }));
    return;
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  }
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: schema.partitionKey, AttributeType: 'S' },
          { AttributeName: schema.sortKey, AttributeType: schema.sortKeyType },
        ],
        KeySchema: [
          { AttributeName: schema.partitionKey, KeyType: 'HASH' },
          { AttributeName: schema.sortKey, KeyType: 'RANGE' },
        ],
      }),
    );
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
}

async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}

/** Creates the tables and the bucket when they are missing. Safe to call on every start. */
export async function ensureStorage(
  clients: { s3: S3Client; dynamodb: DynamoDBClient },
  config: Pick<EngineConfig, 'metaTable' | 'indexTable' | 'bucket'>,
): Promise<void> {
  await Promise.all([
    ensureTable(clients.dynamodb, config.metaTable, META_KEY_SCHEMA),
    ensureTable(clients.dynamodb, config.indexTable, INDEX_KEY_SCHEMA),
    ensureBucket(clients.s3, config.bucket),
  ]);
}
