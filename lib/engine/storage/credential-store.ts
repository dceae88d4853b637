/**
 * SASL users in the meta table. Each user is two items written together: `user#<name>` holds the
 * SCRAM keys (salt, iterations, StoredKey, ServerKey per mechanism; never a password), and the
 * registry item `users`/<name> holds the name and each mechanism's iterations only, so that
 * listing users is one Query that reads no secret. A user with no credential left is deleted.
 * Nothing is cached: a deleted user or a changed password takes effect on the next handshake.
 */
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { SCRAM_MECHANISMS, type ScramCredential, type ScramMechanism } from '../scram.js';
import { metaKeys } from './keys.js';
import { queryCollection } from './query-all.js';

export interface StoredUser {
  name: string;
  credentials: Partial<Record<ScramMechanism, ScramCredential>>;
}

/** What may be shown about a user: its mechanisms and their iterations. */
export interface UserSummary {
  name: string;
  mechanisms: { mechanism: ScramMechanism; iterations: number }[];
}

interface StoredKeys {
  salt: string;
  iterations: number;
  storedKey: string;
  serverKey: string;
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

/** A transaction cancelled by a condition (the user or credential was not there). */
function conditionFailed(err: unknown): boolean {
  const e = err as { name?: string; CancellationReasons?: { Code?: string }[] };
  return (
    e?.name === 'TransactionCanceledException' &&
    (e.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed')
  );
}

export class CredentialStore {
  constructor(
    readonly doc: DynamoDBDocumentClient,
    readonly table: string,
  ) {}

  /** The user's keys, read now (strongly consistent); undefined when there is no such user. */
  async get(name: string): Promise<StoredUser | undefined> {
    const res = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: metaKeys.user(name), ConsistentRead: true }),
    );
    if (!res.Item) return undefined;
    const credentials: StoredUser['credentials'] = {};
    for (const m of SCRAM_MECHANISMS) {
      const k = res.Item[m] as StoredKeys | undefined;
      if (!k) continue;
      credentials[m] = {
        salt: unb64(k.salt),
        iterations: Number(k.iterations),
        storedKey: unb64(k.storedKey),
        serverKey: unb64(k.serverKey),
      };
    }
    return { name, credentials };
  }

  /** Every user, by name, without keys. */
  async list(): Promise<UserSummary[]> {
    const items = await queryCollection(this.doc, this.table, metaKeys.usersPk);
    return items.map((item) => ({
      name: String(item.name),
      mechanisms: SCRAM_MECHANISMS.filter((m) => item[m] !== undefined).map((m) => ({
        mechanism: m,
        iterations: Number(item[m]),
      })),
    }));
  }

  /** Creates the user or replaces one mechanism's keys; the other mechanism's are kept. */
  async put(name: string, mechanism: ScramMechanism, c: ScramCredential): Promise<void> {
    const keys: StoredKeys = {
      salt: b64(c.salt),
      iterations: c.iterations,
      storedKey: b64(c.storedKey),
      serverKey: b64(c.serverKey),
    };
    const set = (key: Record<string, string>, value: unknown) => ({
      Update: {
        TableName: this.table,
        Key: key,
        UpdateExpression: 'SET #n = :n, #m = :v',
        ExpressionAttributeNames: { '#n': 'name', '#m': mechanism },
        ExpressionAttributeValues: { ':n': name, ':v': value },
      },
    });
    await this.doc.send(
      new TransactWriteCommand({
        TransactItems: [set(metaKeys.user(name), keys), set(metaKeys.userRegistry(name), c.iterations)],
      }),
    );
  }

  /**
   * Removes one mechanism's keys; false when the user had none for it. The user goes with its
   * last credential, as in Kafka.
   */
  async deleteCredential(name: string, mechanism: ScramMechanism): Promise<boolean> {
    const remove = (key: Record<string, string>) => ({
      Update: {
        TableName: this.table,
        Key: key,
        UpdateExpression: 'REMOVE #m',
        ConditionExpression: 'attribute_exists(#m)',
        ExpressionAttributeNames: { '#m': mechanism },
      },
    });
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [remove(metaKeys.user(name)), remove(metaKeys.userRegistry(name))],
        }),
      );
    } catch (err) {
      if (conditionFailed(err)) return false;
      throw err;
    }
    await this.deleteIfEmpty(name);
    return true;
  }

  /** Deletes the user and every credential; false when there was no such user. */
  async delete(name: string): Promise<boolean> {
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: this.table,
                Key: metaKeys.user(name),
                ConditionExpression: 'attribute_exists(pk)',
              },
            },
            { Delete: { TableName: this.table, Key: metaKeys.userRegistry(name) } },
          ],
        }),
      );
      return true;
    } catch (err) {
      if (conditionFailed(err)) return false;
      throw err;
    }
  }

  /** Deletes both items when no mechanism is left (a concurrent put wins: the condition fails). */
  private async deleteIfEmpty(name: string): Promise<void> {
    const none = SCRAM_MECHANISMS.map((_, i) => `attribute_not_exists(#m${i})`).join(' AND ');
    const names = Object.fromEntries(SCRAM_MECHANISMS.map((m, i) => [`#m${i}`, m]));
    const del = (key: Record<string, string>) => ({
      Delete: { TableName: this.table, Key: key, ConditionExpression: none, ExpressionAttributeNames: names },
    });
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [del(metaKeys.user(name)), del(metaKeys.userRegistry(name))],
        }),
      );
    } catch (err) {
      if (!conditionFailed(err)) throw err;
    }
  }
}
