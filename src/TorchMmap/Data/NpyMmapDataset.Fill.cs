using TorchMmap.Internal;
using static TorchSharp.torch;

namespace TorchMmap.Data;

public sealed partial class NpyMmapDataset : IBatchFill
{
    /// <inheritdoc />
    (string Name, long[] SampleShape, ScalarType Type)[]? IBatchFill.FillLayout
    {
        get
        {
            if (_disposed || Volatile.Read(ref _conversions).Count > 0)
                return null;
            return Layout;
        }
    }

    /// <inheritdoc />
    bool IBatchFill.TryFillBatch(ReadOnlySpan<long> indices, IReadOnlyDictionary<string, Tensor> destination, CopyHelp? help)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        // A conversion makes a new tensor per batch anyway; the caller then takes GetBatch, which reads the conversions again.
        if (Volatile.Read(ref _conversions).Count > 0)
            return false;
        Gather(indices, destination, help);
        return true;
    }
}
