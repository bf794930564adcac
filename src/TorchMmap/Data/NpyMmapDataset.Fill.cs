using TorchMmap.Internal;
using static TorchSharp.torch;

namespace TorchMmap.Data;

public sealed partial class NpyMmapDataset : IBatchFill
{
    /// <inheritdoc />
    bool IBatchFill.CanFill => !_disposed && _conversions.Count == 0;

    /// <inheritdoc />
    (string Name, long[] SampleShape, ScalarType Type)[]? IBatchFill.FillLayout
    {
        get
        {
            if (_disposed || _conversions.Count > 0)
                return null;
            return _columns.Select(c => (c.Name, c.RowShape.ToArray(), c.DType.ScalarType)).ToArray();
        }
    }

    /// <inheritdoc />
    unsafe void IBatchFill.FillBatch(ReadOnlySpan<long> indices, IReadOnlyDictionary<string, Tensor> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (NpyColumn column in _columns)
        {
            Tensor target = destination[column.Name];
            column.Gather(indices, TensorMemory.DataPointer(target, nameof(destination)), _copyThreads);
        }
    }
}
