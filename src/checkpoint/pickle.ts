/**
 * A restricted pickle reader (protocols 0–5 opcodes, as `torch.save` writes them).
 *
 * Nothing in the stream is ever executed: the virtual machine only knows the callables on an allow-list
 * (enough to rebuild a state dict of tensors) and refuses any other GLOBAL / STACK_GLOBAL / INST name at the
 * moment it is named, before it could be called. Every length is checked against the bytes that remain
 * before anything is allocated.
 */

/** A Python tuple (kept distinct from lists so torch's argument tuples are recognisable). */
export class PyTuple {
  constructor(readonly items: unknown[]) {}
}

/** A Python dict or OrderedDict; insertion order is kept. `attrs` receives BUILD state (e.g. `_metadata`). */
export class PyDict {
  readonly map = new Map<unknown, unknown>();
  attrs: unknown = undefined;
}

/** A callable (or class) that the allow-list permits; `call` builds its value from plain arguments. */
export class PyCallable {
  constructor(
    readonly qualname: string,
    readonly call: ((args: unknown[]) => unknown) | null,
  ) {}
}

/** Resolves allowed `module.name` globals; returns undefined for names that are not allowed. */
export type GlobalResolver = (module: string, name: string) => PyCallable | undefined;

/** Hooks and limits for one `unpickle` call. */
export interface UnpickleOptions {
  /** Label used in every error, e.g. `base.pt (base/data.pkl)`. */
  where: string;
  resolveGlobal: GlobalResolver;
  /** Turns a persistent id (BINPERSID / PERSID) into a value; throws for ids it does not accept. */
  persistentLoad: (pid: unknown) => unknown;
}

/**
 * Most values one pickle may push (every opcode that puts something on the stack, MARK included) and most
 * memo entries. A state dict pushes about 25 values per tensor, so 10,000 tensors need ~250,000; the cap
 * bounds what a small, highly compressed data.pkl of repeated opcodes can make us allocate (each pushed
 * dict or list costs ~100 bytes: 4 M of them took 5 s and 750 MB).
 */
const MAX_VALUES = 1_000_000;

/** Runs the pickle in `data` and returns the unpickled top-level value. */
export function unpickle(data: Uint8Array, opts: UnpickleOptions): unknown {
  const { where } = opts;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const fail = (msg: string): never => {
    throw new Error(`${where}: ${msg}`);
  };
  let pos = 0;
  let stack: unknown[] = [];
  const metastack: unknown[][] = [];
  const memo = new Map<number, unknown>();

  const need = (n: number, what: string): void => {
    if (!Number.isSafeInteger(n) || n < 0 || pos + n > data.length) {
      fail(`truncated or corrupt pickle: ${what} of ${n} bytes at byte ${pos} exceeds the ${data.length}-byte stream`);
    }
  };
  const u8 = (): number => {
    need(1, "a 1-byte field");
    return data[pos++];
  };
  const u16 = (): number => {
    need(2, "a 2-byte field");
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4, "a 4-byte field");
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = (): number => {
    need(4, "a 4-byte field");
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8, "an 8-byte field");
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`length ${v} is absurd`);
    return Number(v);
  };
  const bytes = (n: number, what: string): Uint8Array => {
    need(n, what);
    const b = data.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const line = (what: string): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) fail(`truncated pickle: unterminated ${what}`);
    const s = utf8.decode(data.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  let pushed = 0;
  const tooMany = (): never =>
    fail(`the pickle creates more than ${MAX_VALUES} values, far more than any state dict needs (refusing a memory bomb)`);
  const push = (v: unknown): void => {
    if (++pushed > MAX_VALUES) tooMany();
    stack.push(v);
  };
  const pop = (): unknown => {
    if (stack.length === 0) fail(`corrupt pickle: stack underflow at byte ${pos}`);
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail(`corrupt pickle: empty stack at byte ${pos}`);
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    if (metastack.length === 0) fail(`corrupt pickle: no MARK before byte ${pos}`);
    stack = metastack.pop()!;
    return items;
  };
  const memoPut = (key: number, v: unknown): void => {
    if (memo.size >= MAX_VALUES) tooMany();
    memo.set(key, v);
  };
  const memoGet = (key: number): unknown => {
    if (!memo.has(key)) fail(`corrupt pickle: memo key ${key} was never stored`);
    return memo.get(key);
  };
  const global = (module: string, name: string): PyCallable => {
    const c = opts.resolveGlobal(module, name);
    if (!c) {
      fail(
        `refusing to load: the pickle references the forbidden callable "${module}.${name}" ` +
          `(only plain tensor state dicts are accepted; nothing was executed)`,
      );
    }
    return c!;
  };
  const call = (fn: unknown, args: unknown[], op: string): unknown => {
    if (!(fn instanceof PyCallable) || !fn.call) {
      fail(`refusing to load: ${op} of ${describe(fn)} is not allowed (nothing was executed)`);
    }
    try {
      return (fn as PyCallable).call!(args);
    } catch (err) {
      return fail(`${(fn as PyCallable).qualname}: ${(err as Error).message}`);
    }
  };
  const setItems = (dict: unknown, items: unknown[]): void => {
    if (!(dict instanceof PyDict)) fail(`corrupt pickle: SETITEM(S) on ${describe(dict)}`);
    if (items.length % 2 !== 0) fail("corrupt pickle: odd number of SETITEMS operands");
    for (let i = 0; i < items.length; i += 2) (dict as PyDict).map.set(items[i], items[i + 1]);
  };
  const appendItems = (list: unknown, items: unknown[]): void => {
    if (!Array.isArray(list)) fail(`corrupt pickle: APPEND(S) on ${describe(list)}`);
    for (const it of items) (list as unknown[]).push(it);
  };
  const toNumber = (v: bigint): number => {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) fail(`integer ${v} is out of range`);
    return Number(v);
  };
  const longLE = (b: Uint8Array): number => {
    if (b.length === 0) return 0;
    if (b.length > 8) fail(`integer of ${b.length} bytes is out of range`);
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return toNumber(v);
  };

  for (;;) {
    if (pos >= data.length) fail("truncated pickle: no STOP opcode");
    const at = pos;
    const op = data[pos++];
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail("unsupported pickle protocol (newer than 5)");
        break;
      case 0x95: // FRAME: frames are inline, only the length prefix is skipped
        u64();
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        if (++pushed > MAX_VALUES) tooMany();
        metastack.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        // Python's POP discards the innermost MARK when the current frame is empty
        if (stack.length) stack.pop();
        else popMark();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        push(top());
        break;
      case 0x4e: // NONE
        push(null);
        break;
      case 0x88: // NEWTRUE
        push(true);
        break;
      case 0x89: // NEWFALSE
        push(false);
        break;
      case 0x4a: // BININT
        push(i32());
        break;
      case 0x4b: // BININT1
        push(u8());
        break;
      case 0x4d: // BININT2
        push(u16());
        break;
      case 0x8a: // LONG1
        push(longLE(bytes(u8(), "LONG1")));
        break;
      case 0x8b: // LONG4
        push(longLE(bytes(u32(), "LONG4")));
        break;
      case 0x49: {
        // INT (text); "00"/"01" are protocol-0 booleans
        const s = line("INT");
        if (s === "00" || s === "01") push(s === "01");
        else push(parseTextInt(s, fail));
        break;
      }
      case 0x4c: // LONG (text, trailing L)
        push(parseTextInt(line("LONG").replace(/L$/, ""), fail));
        break;
      case 0x46: {
        // FLOAT (text)
        const v = Number(line("FLOAT"));
        if (Number.isNaN(v)) fail(`corrupt pickle: bad FLOAT at byte ${at}`);
        push(v);
        break;
      }
      case 0x47: // BINFLOAT (big-endian double)
        need(8, "BINFLOAT");
        push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x58: // BINUNICODE
        push(utf8.decode(bytes(u32(), "BINUNICODE")));
        break;
      case 0x8c: // SHORT_BINUNICODE
        push(utf8.decode(bytes(u8(), "SHORT_BINUNICODE")));
        break;
      case 0x8d: // BINUNICODE8
        push(utf8.decode(bytes(u64(), "BINUNICODE8")));
        break;
      case 0x56: // UNICODE (raw-unicode-escape line; plain text is all a state dict needs)
        push(line("UNICODE"));
        break;
      case 0x54: // BINSTRING (py2 str)
        push(latin1.decode(bytes(i32(), "BINSTRING")));
        break;
      case 0x55: // SHORT_BINSTRING
        push(latin1.decode(bytes(u8(), "SHORT_BINSTRING")));
        break;
      case 0x42: // BINBYTES
        push(bytes(u32(), "BINBYTES"));
        break;
      case 0x43: // SHORT_BINBYTES
        push(bytes(u8(), "SHORT_BINBYTES"));
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        push(bytes(u64(), "BINBYTES8"));
        break;
      case 0x29: // EMPTY_TUPLE
        push(new PyTuple([]));
        break;
      case 0x85: // TUPLE1
        push(new PyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        push(new PyTuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        push(new PyTuple([pop(), b, c]));
        break;
      }
      case 0x74: // TUPLE
        push(new PyTuple(popMark()));
        break;
      case 0x5d: // EMPTY_LIST
        push([]);
        break;
      case 0x6c: // LIST
        push(popMark());
        break;
      case 0x7d: // EMPTY_DICT
        push(new PyDict());
        break;
      case 0x64: {
        // DICT
        const d = new PyDict();
        setItems(d, popMark());
        push(d);
        break;
      }
      case 0x8f: // EMPTY_SET
        push(new Set());
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) fail(`corrupt pickle: ADDITEMS on ${describe(s)}`);
        for (const it of items) (s as Set<unknown>).add(it);
        break;
      }
      case 0x91: // FROZENSET
        push(new Set(popMark()));
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x71: // BINPUT
        memoPut(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memoPut(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memoPut(memo.size, top());
        break;
      case 0x70: // PUT (text)
        memoPut(parseTextInt(line("PUT"), fail), top());
        break;
      case 0x68: // BINGET
        push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        push(memoGet(u32()));
        break;
      case 0x67: // GET (text)
        push(memoGet(parseTextInt(line("GET"), fail)));
        break;
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line("GLOBAL module");
        push(global(module, line("GLOBAL name")));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") fail("corrupt pickle: STACK_GLOBAL needs two strings");
        push(global(module as string, name as string));
        break;
      }
      case 0x69: {
        // INST "module\nname\n" with args after MARK
        const module = line("INST module");
        const cls = global(module, line("INST name"));
        push(call(cls, popMark(), "INST"));
        break;
      }
      case 0x6f: {
        // OBJ: MARK cls args...
        const items = popMark();
        if (items.length === 0) fail("corrupt pickle: OBJ without a class");
        push(call(items[0], items.slice(1), "OBJ"));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        if (!(args instanceof PyTuple)) fail(`corrupt pickle: REDUCE arguments are ${describe(args)}, not a tuple`);
        push(call(fn, (args as PyTuple).items, "REDUCE"));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        const cls = pop();
        if (!(args instanceof PyTuple)) fail("corrupt pickle: NEWOBJ arguments are not a tuple");
        push(call(cls, (args as PyTuple).items, "NEWOBJ"));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX: keyword arguments are never needed by the allow-listed callables
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (!(args instanceof PyTuple)) fail("corrupt pickle: NEWOBJ_EX arguments are not a tuple");
        if (!(kwargs instanceof PyDict) || kwargs.map.size > 0) {
          fail(`refusing to load: NEWOBJ_EX with keyword arguments for ${describe(cls)}`);
        }
        push(call(cls, (args as PyTuple).items, "NEWOBJ_EX"));
        break;
      }
      case 0x62: {
        // BUILD: only an (Ordered)Dict may receive state (torch stores the state dict's `_metadata` there)
        const state = pop();
        const obj = top();
        if (!(obj instanceof PyDict)) fail(`refusing to load: BUILD (set state) on ${describe(obj)} is not allowed`);
        (obj as PyDict).attrs = state;
        break;
      }
      case 0x51: // BINPERSID
        push(opts.persistentLoad(pop()));
        break;
      case 0x50: // PERSID (text)
        push(opts.persistentLoad(line("PERSID")));
        break;
      case 0x82: // EXT1
      case 0x83: // EXT2
      case 0x84: // EXT4
        fail(`refusing to load: extension-registry opcode at byte ${at} (nothing was executed)`);
        break;
      case 0x97: // NEXT_BUFFER
      case 0x98: // READONLY_BUFFER
        fail(`unsupported pickle: out-of-band buffer opcode at byte ${at}`);
        break;
      default:
        fail(`unsupported or corrupt pickle opcode 0x${op.toString(16)} at byte ${at}`);
    }
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: false });
const latin1 = new TextDecoder("latin1");

function parseTextInt(s: string, fail: (m: string) => never): number {
  if (!/^[+-]?\d+$/.test(s.trim())) fail(`corrupt pickle: bad integer literal "${s.slice(0, 40)}"`);
  const v = Number(s.trim());
  if (!Number.isSafeInteger(v)) fail(`integer ${s.trim()} is out of range`);
  return v;
}

/** A short, safe description of an unpickled value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return "None";
  if (v instanceof PyCallable) return v.qualname;
  if (v instanceof PyTuple) return `a tuple of ${v.items.length}`;
  if (v instanceof PyDict) return "a dict";
  if (Array.isArray(v)) return "a list";
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (typeof v === "string") return `the string "${v.slice(0, 40)}"`;
  if (typeof v === "object") return (v as object).constructor?.name ?? "an object";
  return `${typeof v} ${String(v)}`;
}
