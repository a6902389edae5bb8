// Instances of subclasses are functions: `obj(...args)` runs `obj.call(...args)`, and the class's
// methods and fields work as usual (Python's __call__).

export abstract class CallableBase {
  constructor() {
    const fn = function (...args: unknown[]) {
      return (fn as any).call(...args);
    };
    // A function's own `length` and `name` would hide getters of the same names.
    delete (fn as any).length;
    delete (fn as any).name;
    Object.setPrototypeOf(fn, new.target.prototype);
    return fn as unknown as CallableBase;
  }
}
