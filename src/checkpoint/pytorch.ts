/**
 * Index of a PyTorch zip checkpoint (`torch.save` of a state dict, torch ≥ 1.6): `<prefix>/data.pkl` is a
 * pickled dict of tensors whose storages are the stored (uncompressed) members `<prefix>/data/<key>`.
 * Only the pickle is read into memory; each tensor is described by its absolute offset in the file.
 */
import { unpickle, PyCallable, PyDict, PyTuple, describe } from "./pickle.js";
import { openZip } from "./zip.js";
import {
  DTYPE_BYTES,
  storageExtent,
  type CheckpointIndex,
  type TensorEntry,
  type WeightDType,
} from "./types.js";

/** Largest `data.pkl` we accept (GLIDE's is ~100 kB; a pickle this size would describe millions of tensors). */
const MAX_PICKLE_BYTES = 64 * 1024 * 1024;

/** A storage named by a persistent id `('storage', <dtype>Storage, key, location, numel)`. */
class StorageRef {
  constructor(
    readonly dtype: WeightDType,
    readonly key: string,
    readonly numel: number,
  ) {}
}

/** A tensor rebuilt by `_rebuild_tensor_v2`: a strided view into a storage. */
class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly storageOffset: number,
    readonly shape: number[],
    readonly strides: number[],
  ) {}
}

/** Marker for an allow-listed storage class (never callable: it only appears inside persistent ids). */
class StorageType extends PyCallable {
  constructor(
    name: string,
    readonly dtype: WeightDType,
  ) {
    super(`torch.${name}`, null);
  }
}

const STORAGE_DTYPES: Record<string, WeightDType> = {
  FloatStorage: "float32",
  HalfStorage: "float16",
  BFloat16Storage: "bfloat16",
};

/** Storage classes torch defines that hold non-float weights: named in a clearer error than "forbidden". */
const OTHER_STORAGES = new Set([
  "DoubleStorage", "LongStorage", "IntStorage", "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage",
  "ComplexFloatStorage", "ComplexDoubleStorage", "QInt8Storage", "QUInt8Storage", "QInt32Storage", "UntypedStorage",
]);

function intList(v: unknown, what: string): number[] {
  if (!(v instanceof PyTuple) && !Array.isArray(v)) throw new Error(`${what} is ${describe(v)}, not a tuple`);
  const items = v instanceof PyTuple ? v.items : v;
  return items.map((x) => {
    if (typeof x !== "number" || !Number.isSafeInteger(x) || x < 0) throw new Error(`${what} holds ${describe(x)}`);
    return x;
  });
}

function rebuildTensor(args: unknown[]): TensorRef {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof StorageRef)) throw new Error(`expected a storage, got ${describe(storage)}`);
  if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) {
    throw new Error(`bad storage offset ${describe(offset)}`);
  }
  const shape = intList(size, "size");
  const strides = intList(stride, "stride");
  if (shape.length !== strides.length) throw new Error(`size has ${shape.length} dims but stride has ${strides.length}`);
  return new TensorRef(storage, offset, shape, strides);
}

/** The allow-list: exactly what a state dict of float tensors needs. */
function resolveTorchGlobal(module: string, name: string): PyCallable | undefined {
  const qual = `${module}.${name}`;
  switch (qual) {
    case "collections.OrderedDict":
      return new PyCallable(qual, (args) => {
        if (args.length > 0) throw new Error("only an empty OrderedDict() may be constructed");
        return new PyDict();
      });
    case "torch._utils._rebuild_tensor":
      return new PyCallable(qual, (args) => {
        if (args.length !== 4) throw new Error(`expected 4 arguments, got ${args.length}`);
        return rebuildTensor(args);
      });
    case "torch._utils._rebuild_tensor_v2":
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      return new PyCallable(qual, (args) => {
        if (args.length < 6 || args.length > 7) throw new Error(`expected 6 or 7 arguments, got ${args.length}`);
        return rebuildTensor(args);
      });
    case "torch._utils._rebuild_parameter":
      // (data, requires_grad, backward_hooks): a Parameter is its tensor for our purposes
      return new PyCallable(qual, (args) => {
        if (!(args[0] instanceof TensorRef)) throw new Error(`expected a tensor, got ${describe(args[0])}`);
        return args[0];
      });
  }
  if (module === "torch" && name in STORAGE_DTYPES) return new StorageType(name, STORAGE_DTYPES[name]);
  if (module === "torch" && OTHER_STORAGES.has(name)) {
    throw new Error(`unsupported tensor type torch.${name}: only float32, float16 and bfloat16 weights can be loaded`);
  }
  return undefined;
}

function persistentLoad(pid: unknown): StorageRef {
  const items = pid instanceof PyTuple ? pid.items : null;
  if (!items || items.length !== 5 || items[0] !== "storage") {
    throw new Error(`refusing to load: unexpected persistent id ${describe(pid)} (expected a torch storage reference)`);
  }
  const [, type, key, , numel] = items;
  if (!(type instanceof StorageType)) throw new Error(`refusing to load: storage of type ${describe(type)}`);
  if (typeof key !== "string" || !/^[\w.-]+$/.test(key)) throw new Error(`bad storage key ${describe(key)}`);
  if (typeof numel !== "number" || !Number.isSafeInteger(numel) || numel < 0) {
    throw new Error(`storage ${key} has a bad size ${describe(numel)}`);
  }
  return new StorageRef(type.dtype, key, numel);
}

/** Reads the tensor index of a PyTorch zip checkpoint. Errors name the file (and the tensor at fault). */
export async function readPytorchIndex(file: string): Promise<CheckpointIndex> {
  const zip = await openZip(file);
  try {
    const pkls = [...zip.entries.keys()].filter((n) => /^([^/]+\/)?data\.pkl$/.test(n));
    if (pkls.length !== 1) {
      throw new Error(
        pkls.length === 0
          ? `${file}: not a PyTorch checkpoint (the zip archive has no data.pkl)`
          : `${file}: ambiguous PyTorch checkpoint (several data.pkl: ${pkls.join(", ")})`,
      );
    }
    const prefix = pkls[0].slice(0, -"data.pkl".length);
    const byteorder = zip.entries.get(`${prefix}byteorder`);
    if (byteorder) {
      const order = (await zip.readAll(byteorder, 16)).toString("latin1").trim();
      if (order !== "little") throw new Error(`${file}: storages are ${order}-endian; only little-endian is supported`);
    }
    const pkl = await zip.readAll(zip.entries.get(pkls[0])!, MAX_PICKLE_BYTES);
    const where = `${file} (${pkls[0]})`;
    const root = unpickle(pkl, {
      where,
      resolveGlobal: (m, n) => {
        try {
          return resolveTorchGlobal(m, n);
        } catch (err) {
          throw new Error(`${where}: ${(err as Error).message}`);
        }
      },
      persistentLoad: (pid) => {
        try {
          return persistentLoad(pid);
        } catch (err) {
          throw new Error(`${where}: ${(err as Error).message}`);
        }
      },
    });
    if (!(root instanceof PyDict)) throw new Error(`${file}: not a state dict (the pickle holds ${describe(root)})`);

    // Where each storage's bytes start in the file, after checking its member is stored and large enough.
    const storageStart = new Map<string, number>();
    const locate = async (s: StorageRef): Promise<number> => {
      const known = storageStart.get(s.key);
      if (known !== undefined) return known;
      const member = `${prefix}data/${s.key}`;
      const entry = zip.entries.get(member);
      if (!entry) throw new Error(`${file}: storage ${member} is missing from the archive`);
      if (entry.compressionMethod !== 0) {
        throw new Error(`${file}: storage ${member} is compressed (method ${entry.compressionMethod}); torch.save stores storages uncompressed — re-save the file`);
      }
      const declared = s.numel * DTYPE_BYTES[s.dtype];
      if (declared > entry.uncompressedSize) {
        throw new Error(`${file}: storage ${member} declares ${declared} bytes (${s.numel} × ${s.dtype}) but the archive holds ${entry.uncompressedSize}`);
      }
      const start = await zip.dataOffset(entry);
      if (start + entry.uncompressedSize > zip.fileSize) {
        throw new Error(`${file}: truncated — storage ${member} ends at byte ${start + entry.uncompressedSize} but the file has ${zip.fileSize}`);
      }
      storageStart.set(s.key, start);
      return start;
    };

    const tensors = new Map<string, TensorEntry>();
    for (const [key, value] of root.map) {
      if (typeof key !== "string") throw new Error(`${file}: state dict key ${describe(key)} is not a string`);
      if (!(value instanceof TensorRef)) throw new Error(`${file}: entry ${key} is ${describe(value)}, not a tensor`);
      const { storage, storageOffset, shape, strides } = value;
      const item = DTYPE_BYTES[storage.dtype];
      const end = storageOffset + storageExtent(shape, strides);
      if (end > storage.numel) {
        throw new Error(`${file}: tensor ${key} (shape [${shape}], offset ${storageOffset}) overruns its storage data/${storage.key} of ${storage.numel} elements`);
      }
      const start = await locate(storage);
      tensors.set(key, {
        name: key,
        dtype: storage.dtype,
        shape,
        strides,
        offset: start + storageOffset * item,
        storageBytes: (storage.numel - storageOffset) * item,
      });
    }
    return { file, format: "pytorch", tensors };
  } finally {
    zip.close();
  }
}
