using System.Globalization;
using System.Runtime.InteropServices;
using TorchMmap.Data;
using TorchMmap.Storage;
using static TorchSharp.torch;

namespace TorchMmap.Tests.Data;

/// <summary>nanoGPT's <c>get_batch</c>, run by real PyTorch on the same file, against a loader over stride-1 windows with a
/// <see cref="RandIntSampler"/>: batch for batch, <c>x</c> and <c>y</c> equal.</summary>
[Trait("Requires", "python")]
public sealed class TokenWindowDatasetNanoGptTests : IDisposable
{
    // train.py's get_batch, with the global generator seeded once as train.py does (torch.manual_seed).
    private const string GetBatch = """
import sys
import numpy as np
path, seed, block_size, batch_size, batches, out = sys.argv[1:]
block_size, batch_size = int(block_size), int(batch_size)
torch.manual_seed(int(seed))
with open(out, 'wb') as f:
    for _ in range(int(batches)):
        data = np.memmap(path, dtype=np.uint16, mode='r')
        ix = torch.randint(len(data) - block_size, (batch_size,))
        x = torch.stack([torch.from_numpy((data[i:i+block_size]).astype(np.int64)) for i in ix])
        y = torch.stack([torch.from_numpy((data[i+1:i+1+block_size]).astype(np.int64)) for i in ix])
        f.write(x.numpy().tobytes())
        f.write(y.numpy().tobytes())
""";

    private readonly string _dir = Directory.CreateTempSubdirectory("torchmmap-nanogpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(1337, 64, 12, 0)]
    [InlineData(1337, 256, 4, 2)]
    [InlineData(0, 8, 32, 1)]
    [InlineData(2024, 1, 3, 0)]
    [InlineData(7, 1000, 2, 2)]
    public void Loader_RandIntOverStrideOneWindows_GivesGetBatchsBatches(int seed, int blockSize, int batchSize, int workers)
    {
        const int Batches = 30;
        string bin = Path.Combine(_dir, "train.bin");
        var random = new Random(seed);
        ushort[] tokens = Enumerable.Range(0, 20_011).Select(_ => (ushort)random.Next(65536)).ToArray();
        File.WriteAllBytes(bin, MemoryMarshal.AsBytes(tokens.AsSpan()).ToArray());
        string reference = Path.Combine(_dir, "reference.bin");
        RunPython(bin, seed, blockSize, batchSize, Batches, reference);
        long[] expected = MemoryMarshal.Cast<byte, long>(File.ReadAllBytes(reference)).ToArray();
        int per = batchSize * blockSize;
        Assert.Equal(Batches * 2 * per, expected.Length);

        using TokenStream stream = TokenStream.OpenNanoGpt(bin);
        using var windows = new TokenWindowDataset(stream, blockSize, stride: 1);
        Assert.Equal(tokens.Length - blockSize, windows.Count);
        // Epochs of 10 batches: the draws continue across them as get_batch's calls do.
        using var loader = new NpyDataLoader(windows, batchSize, sampler: new RandIntSampler(windows.Count, 10L * batchSize, seed), num_workers: workers);
        int k = 0;
        for (int epoch = 0; epoch < 3; epoch++)
        {
            foreach (Dictionary<string, Tensor> batch in loader)
            {
                Assert.Equal(expected.AsSpan(k * 2 * per, per).ToArray(), batch["x"].data<long>().ToArray());
                Assert.Equal(expected.AsSpan(k * 2 * per + per, per).ToArray(), batch["y"].data<long>().ToArray());
                k++;
            }
        }
        Assert.Equal(Batches, k);
    }

    private static void RunPython(string bin, int seed, int blockSize, int batchSize, int batches, string output)
    {
        string[] args = [bin, seed.ToString(CultureInfo.InvariantCulture), blockSize.ToString(CultureInfo.InvariantCulture), batchSize.ToString(CultureInfo.InvariantCulture), batches.ToString(CultureInfo.InvariantCulture), output];
        string quoted = string.Join(", ", args.Select(a => "'" + a + "'"));
        TorchReference.Run($"import sys\nsys.argv = ['get_batch', {quoted}]\n" + GetBatch);
    }
}
