using System.Runtime.InteropServices;
using TorchMmap.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Benchmarks;

/// <summary>The limit: per batch, one fresh tensor per array and a plain memcpy of each row from the mapping into it.</summary>
internal sealed unsafe partial class MemcpyLimit : IContender
{
    private readonly Workload _workload;
    private readonly bool _shuffle;
    private readonly int _threads;
    private readonly RawMapping _images;
    private readonly RawMapping _labels;

    public MemcpyLimit(Workload workload, string dir, bool shuffle, int threads)
    {
        _workload = workload;
        _shuffle = shuffle;
        _threads = threads;
        _images = new RawMapping(workload.ImagesPath(dir), workload.SampleBytes);
        _labels = new RawMapping(workload.LabelsPath(dir), 8);
    }

    public TimeSpan Wait => TimeSpan.Zero;

    [LibraryImport("LibTorchSharp")]
    private static partial nint THSTensor_data(nint handle);

    public long RunEpoch(long epoch)
    {
        long[] order = Order(_workload.Rows, _shuffle, epoch);
        int b = _workload.BatchSize;
        long[] imageShape = [b, .. _workload.SampleShape];
        for (int start = 0; start < order.Length; start += b)
        {
            int n = Math.Min(b, order.Length - start);
            imageShape[0] = n;
            using Tensor x = torch.empty(imageShape, dtype: _workload.DType.ScalarType);
            using Tensor y = torch.empty([n], dtype: ScalarType.Int64);
            byte* xp = (byte*)THSTensor_data(x.Handle);
            byte* yp = (byte*)THSTensor_data(y.Handle);
            if (_threads <= 1)
            {
                CopyRows(order, start, 0, n, xp, yp);
            }
            else
            {
                nint xa = (nint)xp, ya = (nint)yp;
                int parts = _threads;
                Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
                    CopyRows(order, start, n * p / parts, n * (p + 1) / parts, (byte*)xa, (byte*)ya));
            }
        }
        return order.Length;
    }

    private void CopyRows(long[] order, int start, int from, int to, byte* xp, byte* yp)
    {
        long rb = _images.RowBytes;
        for (int i = from; i < to; i++)
        {
            long row = order[start + i];
            Buffer.MemoryCopy(_images.Data + row * rb, xp + i * rb, rb, rb);
            *(long*)(yp + i * 8) = *(long*)(_labels.Data + row * 8);
        }
    }

    /// <summary>The epoch's order: 0..n-1, or the RandomSampler's permutation (the same one the loader uses).</summary>
    public static long[] Order(long rows, bool shuffle, long epoch)
    {
        if (!shuffle)
            return new SequentialSampler(rows).GetIndices();
        var sampler = new RandomSampler(rows, seed: 1);
        sampler.SetEpoch(epoch);
        return sampler.GetIndices();
    }

    public void Dispose()
    {
        _images.Dispose();
        _labels.Dispose();
    }
}
