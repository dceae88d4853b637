/**
 * Configuration is read once, at the edge (a Lambda cold start or the local server), and passed in.
 * Nothing below this module reads process.env.
 */
export interface EngineConfig {
  region: string;
  /** Topics, partition heads, segment records, orphans, groups, producers. */
  metaTable: string;
  /** The offset index: one item per committed batch. */
  indexTable: string;
  /** Segment objects. */
  bucket: string;
  /** Set for the local stack (s3rver, MinIO); unset in AWS. */
  s3Endpoint?: string;
  dynamodbEndpoint?: string;
  /** Upper bound of the in-memory cache of segment byte ranges, per process. */
  segmentCacheBytes: number;
  /** How many times a commit is retried with fresh partition heads before giving up. */
  maxCommitAttempts: number;
  /** How long produce trusts cached topic metadata; the commit re-checks the topic id anyway. */
  topicCacheMs: number;
  /** Unreferenced segment objects are deleted this long after their last reference went (> the longest fetch). */
  segmentGraceMs: number;
  /** Compaction merges index entries smaller than this (0 turns compaction off)... */
  compactionSmallBytes: number;
  /** ...into per-partition ranges of about this size. */
  compactionTargetBytes: number;
  /**
   * Authorization by ACLs on both front ends (docs/security.md). Off: every caller may do
   * everything, as Kafka without an authorizer. On: a request no ACL allows is refused
   * (`allow.everyone.if.no.acl.found=false`), except for super users.
   */
  authEnabled: boolean;
  /** Principals (`User:<name>`) that may do everything when authorization is on. */
  superUsers: string[];
  /** How long a process trusts its copy of the ACLs: a revoked grant may act this long. */
  aclCacheMs: number;
  /** HTTP with a JWT authorizer: the claim that names the principal (default `sub`). */
  jwtPrincipalClaim: string;
  /**
   * Read-only cluster (STRATA_READ_ONLY): the HTTP API serves only its GET routes and refuses
   * every other with `403 CLUSTER_AUTHORIZATION_FAILED`; `GET /v1/cluster` says so (the console
   * then shows no mutating control). docs/console.md "Read-only mode".
   */
  readOnly: boolean;
  /**
   * TEST ONLY: drops the commit's conditions, so concurrent commits can take the same offsets.
   * Exists to prove the fault checker catches what a broken commit does. Never read from the env.
   */
  testOnlyBreakCommitCondition?: boolean;
}

export const DEFAULT_CONFIG = {
  region: 'us-east-1',
  metaTable: 'strata-meta',
  indexTable: 'strata-index',
  bucket: 'strata-segments',
  segmentCacheBytes: 64 * 1024 * 1024,
  maxCommitAttempts: 64,
  topicCacheMs: 1000,
  segmentGraceMs: 10 * 60 * 1000,
  compactionSmallBytes: 1024 * 1024,
  compactionTargetBytes: 8 * 1024 * 1024,
  authEnabled: false,
  superUsers: [] as string[],
  aclCacheMs: 5000,
  jwtPrincipalClaim: 'sub',
  readOnly: false,
} as const satisfies EngineConfig;

export function configFromEnv(env: Record<string, string | undefined>): EngineConfig {
  const num = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got ${raw}`);
    return n;
  };
  return {
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? DEFAULT_CONFIG.region,
    metaTable: env.STRATA_META_TABLE ?? DEFAULT_CONFIG.metaTable,
    indexTable: env.STRATA_INDEX_TABLE ?? DEFAULT_CONFIG.indexTable,
    bucket: env.STRATA_BUCKET ?? DEFAULT_CONFIG.bucket,
    s3Endpoint: env.S3_ENDPOINT || undefined,
    dynamodbEndpoint: env.DYNAMODB_ENDPOINT || undefined,
    segmentCacheBytes: num('STRATA_SEGMENT_CACHE_BYTES', DEFAULT_CONFIG.segmentCacheBytes),
    maxCommitAttempts: num('STRATA_MAX_COMMIT_ATTEMPTS', DEFAULT_CONFIG.maxCommitAttempts),
    topicCacheMs: num('STRATA_TOPIC_CACHE_MS', DEFAULT_CONFIG.topicCacheMs),
    segmentGraceMs: num('STRATA_SEGMENT_GRACE_MS', DEFAULT_CONFIG.segmentGraceMs),
    compactionSmallBytes: num('STRATA_COMPACTION_SMALL_BYTES', DEFAULT_CONFIG.compactionSmallBytes),
    compactionTargetBytes: num('STRATA_COMPACTION_TARGET_BYTES', DEFAULT_CONFIG.compactionTargetBytes),
    authEnabled: onOff('STRATA_AUTH', env.STRATA_AUTH),
    superUsers: (env.STRATA_SUPER_USERS ?? '')
      .split(/[,;]/)
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    aclCacheMs: num('STRATA_ACL_CACHE_MS', DEFAULT_CONFIG.aclCacheMs),
    jwtPrincipalClaim: env.STRATA_JWT_PRINCIPAL_CLAIM || DEFAULT_CONFIG.jwtPrincipalClaim,
    readOnly: onOff('STRATA_READ_ONLY', env.STRATA_READ_ONLY),
  };
}

function onOff(name: string, raw: string | undefined): boolean {
  if (raw === undefined || raw === '' || raw === 'off' || raw === 'false') return false;
  if (raw === 'on' || raw === 'true') return true;
  throw new Error(`${name} must be on or off, got ${raw}`);
}
