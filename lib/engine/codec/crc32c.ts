/** CRC-32C lives in the contract (lib/contract/crc32c.ts): the browser-safe client signs its batches with it too. */
export { crc32c } from '../../contract/crc32c.js';
