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
                      'multiplyAdds', 'decodeImage']) {
    Module[name] = fuWithPendingErrorCheck(Module[name]);
  }
  // Every class bound in bindings.cc, with the methods whose trailing arguments are optional.
  fuWrapClass('Network', {});
  fuWrapClass('Engine', { processFrame: 3 });
});

/**
 * Wraps every method of the bound class Module[name], and its constructor: a failed C++ factory
 * yields an empty object, which the pending Error replaces. Instances keep the bound prototype,
 * so `instanceof` and delete() work as before.
 * @param {string} name
 * @param {!Object<string, number>} arities methods whose calls are padded with `undefined` up to
 *     this many arguments: Embind insists on the exact count, and overloading by count would
 *     break these wrappers (see above), so optional arguments are filled in here
 */
function fuWrapClass(name, arities) {
  const Bound = Module[name];
  const proto = Bound.prototype;
  for (const key of Object.getOwnPropertyNames(proto)) {
    if (key !== 'constructor' && typeof proto[key] === 'function') {
      const checked = fuWithPendingErrorCheck(proto[key]);
      const arity = arities[key];
      proto[key] = arity === undefined ? checked : function padded(...args) {
        while (args.length < arity) args.push(undefined);
        return checked.apply(this, args);
      };
    }
  }
  function Wrapped(...args) {
    if (!new.target) {
      throw new TypeError(`Class constructor ${name} cannot be invoked without 'new'`);
    }
    const instance = new Bound(...args);
    fuThrowPendingError();
    return instance;
  }
  Object.defineProperty(Wrapped, 'name', { value: name });
  Wrapped.prototype = proto;
  Module[name] = Wrapped;
}
