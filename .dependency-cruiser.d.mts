/** The layers of .dependency-cruiser.mjs, lowest first (read by test/lint/layering.test.ts). */
export declare const LAYERS: readonly { name: string; path: string; what: string }[];
declare const config: object;
export default config;
