using TorchMmap.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchMmap.Benchmarks;

/// <summary>TorchSharp's stock DataLoader, over NpyMmapDataset (sample by sample) or over a TensorDataset held in RAM.</summary>
internal sealed class StockContender : IContender
{
    private readonly IDisposable _dataset;
    private readonly Func<long> _epoch;
    private readonly List<IDisposable> _owned = [];

    public StockContender(Workload workload, string dir, bool shuffle, bool inRam)
    {
        if (inRam)
        {
            // What .NET users do today: load everything, then let the stock loader index it.
            Tensor x = Npy.Load(workload.ImagesPath(dir));
            Tensor y = Npy.Load(workload.LabelsPath(dir));
            _owned.Add(x);
            _owned.Add(y);
            var ds = torch.utils.data.TensorDataset(x, y);
            _dataset = ds;
            var loader = torch.utils.data.DataLoader(ds, workload.BatchSize, shuffle, seed: 1, disposeBatch: true, disposeDataset: false);
            _owned.Add(loader);
            _epoch = () =>
            {
                long n = 0;
                foreach (IList<Tensor> batch in loader)
                    n += batch[1].shape[0];
                return n;
            };
        }
        else
        {
            var ds = NpyMmapDataset.Open(("image", workload.ImagesPath(dir)), ("label", workload.LabelsPath(dir)));
            _dataset = ds;
            var loader = torch.utils.data.DataLoader(ds, workload.BatchSize, shuffle, seed: 1, disposeBatch: true, disposeDataset: false);
            _owned.Add(loader);
            _epoch = () =>
            {
                long n = 0;
                foreach (Dictionary<string, Tensor> batch in loader)
                    n += batch["label"].shape[0];
                return n;
            };
        }
    }

    public TimeSpan Wait => TimeSpan.Zero;

    public long RunEpoch(long epoch) => _epoch();

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
            _owned[i].Dispose();
        _dataset.Dispose();
    }
}
