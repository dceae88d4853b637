/** The byte writer and reader live in the contract (lib/contract/bytes.ts), shared with the client's batch codec. */
export { ByteReader, ByteWriter } from '../../contract/bytes.js';
