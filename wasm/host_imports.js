// Declares to Emscripten's link-time check the host imports the module makes beyond
// its own runtime: WASI random_get (see wasm/abi.cpp), and in the browser core only,
// jazzrpc_host_number (src/json.cpp). The standalone module never runs this file;
// js-glue/src/core/host-imports.js provides the imports.
mergeInto(LibraryManager.library, {
  random_get: function () { throw new Error('provided by the jazzrpc glue'); },
  jazzrpc_host_number: function () { throw new Error('provided by the jazzrpc glue'); },
});
