// node-gyp-build ships no types: the two calls the loader uses.
declare module 'node-gyp-build' {
  interface NodeGypBuild {
    (directory: string): unknown;
    /** The path of the addon it would load from `directory` (build/Release, then prebuilds/); throws when none matches. */
    resolve(directory: string): string;
  }
  const nodeGypBuild: NodeGypBuild;
  export default nodeGypBuild;
}
