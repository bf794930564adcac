namespace TorchMmap.Tests.Documents;

/// <summary>
/// Python (NumPy + struct) that writes and reads indexed datasets following Megatron-core's <c>_IndexWriter</c> /
/// <c>_IndexReader</c> byte for byte, and builds GPTDataset index caches with its algorithm, so tests need no Megatron install.
/// </summary>
internal static class MegatronScripts
{
    /// <summary>argv: prefix, numpy dtype name, dtype code, JSON documents (lists of sequences), multimodal 0/1.</summary>
    public const string Write = """
import json, struct, sys
import numpy as np
prefix, dtype, code, docs, multimodal = sys.argv[1], np.dtype(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4]), sys.argv[5] == '1'
lengths, modes, document_indices = [], [], [0]
with open(prefix + '.bin', 'wb') as b:
    for doc in docs:
        for seq in doc:
            b.write(np.array(seq, dtype=dtype).tobytes(order='C'))
            lengths.append(len(seq))
            modes.append(len(seq) % 3)
        document_indices.append(len(lengths))
pointers, p = [], 0
for n in lengths:
    pointers.append(p)
    p += n * dtype.itemsize
with open(prefix + '.idx', 'wb') as f:
    f.write(b'MMIDIDX\x00\x00')
    f.write(struct.pack('<Q', 1))
    f.write(struct.pack('<B', code))
    f.write(struct.pack('<Q', len(lengths)))
    f.write(struct.pack('<Q', len(document_indices)))
    f.write(np.array(lengths, dtype=np.int32).tobytes(order='C'))
    f.write(np.array(pointers, dtype=np.int64).tobytes(order='C'))
    f.write(np.array(document_indices, dtype=np.int64).tobytes(order='C'))
    if multimodal:
        f.write(np.array(modes, dtype=np.int8).tobytes(order='C'))
""";

    /// <summary>argv: prefix, a JSON object mapping code to numpy dtype name, multimodal 0/1. Prints JSON of what it read.</summary>
    public const string Read = """
import json, struct, sys
import numpy as np
prefix, table, multimodal = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3] == '1'
with open(prefix + '.idx', 'rb') as s:
    assert s.read(9) == b'MMIDIDX\x00\x00'
    assert struct.unpack('<Q', s.read(8))[0] == 1
    code = struct.unpack('<B', s.read(1))[0]
    dtype = np.dtype(table[str(code)])
    count = struct.unpack('<Q', s.read(8))[0]
    dcount = struct.unpack('<Q', s.read(8))[0]
    offset = s.tell()
buf = memoryview(np.memmap(prefix + '.idx', mode='r', order='C'))
lengths = np.frombuffer(buf, dtype=np.int32, count=count, offset=offset)
pointers = np.frombuffer(buf, dtype=np.int64, count=count, offset=offset + lengths.nbytes)
docs = np.frombuffer(buf, dtype=np.int64, count=dcount, offset=offset + lengths.nbytes + pointers.nbytes)
modes = np.frombuffer(buf, dtype=np.int8, count=count, offset=offset + lengths.nbytes + pointers.nbytes + docs.nbytes).tolist() if multimodal else None
assert len(buf) == offset + lengths.nbytes + pointers.nbytes + docs.nbytes + (count if multimodal else 0)
data = memoryview(np.memmap(prefix + '.bin', mode='r', order='C'))
seqs = [np.frombuffer(data, dtype=dtype, count=int(n), offset=int(p)).tolist() for n, p in zip(lengths, pointers)]
print(json.dumps({'code': code, 'dtype': dtype.str, 'sequences': seqs, 'documents': docs.tolist(), 'pointers': pointers.tolist(), 'modes': modes}))
""";

    /// <summary>
    /// argv: prefix (a uint16 indexed dataset), seq_length, num_samples, seed, output prefix. Builds the document, sample and shuffle
    /// indices as Megatron's GPTDataset does (document order shuffled per epoch with a RandomState, samples of seq_length + 1 tokens
    /// stepping by seq_length, samples shuffled), saves them as .npy, and prints the samples (each seq_length + 1 tokens) in order as JSON.
    /// </summary>
    public const string GptIndices = """
import json, struct, sys
import numpy as np
prefix, seq_length, num_samples, seed, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
with open(prefix + '.idx', 'rb') as s:
    s.read(9); s.read(8); s.read(1)
    count = struct.unpack('<Q', s.read(8))[0]
    s.read(8)
    offset = s.tell()
buf = memoryview(np.memmap(prefix + '.idx', mode='r', order='C'))
sizes = np.frombuffer(buf, dtype=np.int32, count=count, offset=offset)
pointers = np.frombuffer(buf, dtype=np.int64, count=count, offset=offset + sizes.nbytes)
data = np.memmap(prefix + '.bin', mode='r', dtype=np.uint16)
def get(i, off=0, length=None):
    start = pointers[i] // 2 + off
    n = sizes[i] - off if length is None else length
    return np.array(data[start:start + n], dtype=np.int64)
tokens_per_epoch = int(sizes.sum())
epochs, total = 0, 0
while True:
    epochs += 1
    total += tokens_per_epoch
    if total >= num_samples * seq_length + 1:
        break
rs = np.random.RandomState(seed)
doc_idx = np.mgrid[0:epochs, 0:count][1].reshape(-1).astype(np.int32)
rs.shuffle(doc_idx)
n = (epochs * tokens_per_epoch - 1) // seq_length
sample_idx = np.zeros((n + 1, 2), dtype=np.int32)
k, off = 0, 0
for s in range(1, n + 1):
    remaining = seq_length + 1
    while remaining != 0:
        length = sizes[doc_idx[k]] - off
        remaining -= length
        if remaining <= 0:
            off += remaining + length - 1
            remaining = 0
        else:
            k += 1
            off = 0
    sample_idx[s] = (k, off)
shuffle_idx = np.arange(n, dtype=np.uint32)
rs.shuffle(shuffle_idx)
np.save(out + '_doc_idx.npy', doc_idx, allow_pickle=True)
np.save(out + '_sample_idx.npy', sample_idx, allow_pickle=True)
np.save(out + '_shuffle_idx.npy', shuffle_idx, allow_pickle=True)
samples = []
for i in range(n):
    j = shuffle_idx[i]
    b, bo = sample_idx[j]
    e, eo = sample_idx[j + 1]
    if b == e:
        parts = [get(doc_idx[b], bo, eo - bo + 1)]
    else:
        parts = [get(doc_idx[q], 0 if q > b else bo, None if q < e else eo + 1) for q in range(b, e + 1)]
    samples.append(np.concatenate(parts).tolist())
print(json.dumps(samples))
""";
}
