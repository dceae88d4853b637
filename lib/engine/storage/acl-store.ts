/**
 * ACL bindings in the meta table: one item per binding (`acls` / its binding key), so that a
 * process loads every binding with one Query and a create or delete is one conditional write.
 * Each process keeps its copy for `cacheMs`: a binding created or deleted elsewhere takes effect
 * here within that bound (a write through this store takes effect here at once).
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AclBinding } from '../../contract/acl.js';
import { bindingKey } from '../acl.js';
import { metaKeys } from './keys.js';
import { queryCollection } from './query-all.js';

const FIELDS = [
  'principal',
  'host',
  'resourceType',
  'resourceName',
  'patternType',
  'operation',
  'permission',
] as const;

export class AclStore {
  private cache: { at: number; bindings: Promise<AclBinding[]> } | undefined;

  constructor(
    readonly doc: DynamoDBDocumentClient,
    readonly table: string,
    readonly cacheMs: number,
    readonly now: () => number = Date.now,
  ) {}

  /** Every binding, read now (strongly consistent), in binding-key order. */
  async list(): Promise<AclBinding[]> {
    const items = await queryCollection(this.doc, this.table, metaKeys.aclsPk);
    return items.map(
      (item) => Object.fromEntries(FIELDS.map((f) => [f, String(item[f])])) as unknown as AclBinding,
    );
  }

  /** Every binding, as this process last read them, at most `cacheMs` old. */
  cached(): Promise<AclBinding[]> {
    const now = this.now();
    if (!this.cache || now - this.cache.at >= this.cacheMs) {
      const bindings = this.list();
      this.cache = { at: now, bindings };
      // A failed read is not kept: the next request reads again.
      bindings.catch(() => {
        if (this.cache?.bindings === bindings) this.cache = undefined;
      });
    }
    return this.cache.bindings;
  }

  /** Stores a binding; storing one that exists changes nothing (CreateAcls is idempotent). */
  async create(b: AclBinding): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...metaKeys.acl(bindingKey(b)), ...Object.fromEntries(FIELDS.map((f) => [f, b[f]])) },
      }),
    );
    this.cache = undefined;
  }

  async delete(b: AclBinding): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.table, Key: metaKeys.acl(bindingKey(b)) }));
    this.cache = undefined;
  }
}
