// Declares to Emscripten's link-time check the one host import the module makes
// beyond its own runtime: WASI random_get (see wasm/abi.cpp). The standalone
// module never runs this file; js-glue/src/core/host-imports.js provides the import.
mergeInto(LibraryManager.library, {
  random_get: function () { throw new Error('provided by the jazzrpc glue'); },
});
