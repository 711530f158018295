// Linked into faceunlock_core.mjs with --post-js: this runs inside the module factory, beside
// the Emscripten runtime (Module, addOnPostRun) and the EM_JS functions. See js_error.h for why
// errors are thrown here, after the wasm call has returned, and not from inside it.

/** @type {?Error} The error the last call into C++ left behind, until it is thrown. */
var fuPendingError = null;

function fuThrowPendingError() {
  const error = fuPendingError;
  if (error !== null) {
    fuPendingError = null;
    throw error;
  }
}

/**
 * @param {!Function} bound an Embind function or method
 * @return {!Function} the same function, throwing the Error its C++ side left pending
 */
function fuWithPendingErrorCheck(bound) {
  return function checked(...args) {
    const result = bound.apply(this, args);
    fuThrowPendingError();
    return result;
  };
}

// After run, because Embind registers the bindings while the wasm constructors run; before the
// ready promise's callbacks, which run as a later microtask, so callers never see the raw API.
addOnPostRun(() => {
  // Every free function bound in bindings.cc. None may be overloaded: Embind's overload
  // dispatcher looks itself up in Module by name and would find this wrapper instead.
  for (const name of ['availableBackends', 'sampleNetworkNames', 'makeSampleModel',
                      'multiplyAdds']) {
    Module[name] = fuWithPendingErrorCheck(Module[name]);
  }

  const BoundNetwork = Module['Network'];
  const proto = BoundNetwork.prototype;
  for (const name of Object.getOwnPropertyNames(proto)) {
    if (name !== 'constructor' && typeof proto[name] === 'function') {
      proto[name] = fuWithPendingErrorCheck(proto[name]);
    }
  }
  // A failed C++ factory yields an empty object; the pending Error replaces it. Instances keep
  // BoundNetwork's prototype, so `instanceof Network` and delete() work as before.
  function Network(...args) {
    if (!new.target) throw new TypeError("Class constructor Network cannot be invoked without 'new'");
    const network = new BoundNetwork(...args);
    fuThrowPendingError();
    return network;
  }
  Network.prototype = proto;
  Module['Network'] = Network;
});
