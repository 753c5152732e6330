/**
 * A module loaded on first use, once per isolate: the deployed build's separate module (`.build/*.mjs`,
 * scripts/build-chunks.mjs) or, where the code runs unbundled (the vitest pool), its source. Each caller
 * writes its own two `import()` calls, because a relative specifier resolves against the module that calls
 * `import()`; the specifiers sit in variables there, which the bundler leaves alone, so the main module does
 * not contain what they load. A failed load is not kept: the next call tries again.
 */
export function lazyModule<T>(
  deployed: () => Promise<unknown>,
  source: () => Promise<unknown>,
): () => Promise<T> {
  let loading: Promise<T> | null = null;
  return () => {
    if (loading) return loading;
    const attempt = (deployed() as Promise<T>).catch(() => source() as Promise<T>);
    loading = attempt;
    attempt.catch(() => {
      if (loading === attempt) loading = null;
    });
    return attempt;
  };
}
