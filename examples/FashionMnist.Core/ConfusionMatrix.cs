namespace FashionMnist;

/// <summary>Counts of (true class, predicted class) pairs.</summary>
public sealed class ConfusionMatrix
{
    private readonly long[,] _counts;

    /// <summary>Creates an empty matrix.</summary>
    /// <param name="classes">The number of classes.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    public ConfusionMatrix(int classes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        _counts = new long[classes, classes];
    }

    /// <summary>The number of classes.</summary>
    public int Classes => _counts.GetLength(0);

    /// <summary>Samples counted.</summary>
    public long Total { get; private set; }

    /// <summary>Samples of class <paramref name="actual"/> predicted as <paramref name="predicted"/>.</summary>
    /// <param name="actual">The true class.</param>
    /// <param name="predicted">The predicted class.</param>
    /// <returns>The count.</returns>
    public long this[int actual, int predicted] => _counts[actual, predicted];

    /// <summary>Adds pairs of labels and predictions.</summary>
    /// <param name="actual">True classes.</param>
    /// <param name="predicted">Predicted classes, as many as <paramref name="actual"/>.</param>
    /// <exception cref="ArgumentException">The lengths differ, or a class is out of range.</exception>
    public void Add(ReadOnlySpan<long> actual, ReadOnlySpan<long> predicted)
    {
        if (actual.Length != predicted.Length)
            throw new ArgumentException($"{actual.Length} labels but {predicted.Length} predictions.", nameof(predicted));
        for (int i = 0; i < actual.Length; i++)
        {
            if ((ulong)actual[i] >= (ulong)Classes || (ulong)predicted[i] >= (ulong)Classes)
                throw new ArgumentException($"Class {actual[i]} or {predicted[i]} is outside 0..{Classes - 1}.", nameof(actual));
            _counts[actual[i], predicted[i]]++;
        }
        Total += actual.Length;
    }

    /// <summary>The share of samples predicted correctly.</summary>
    /// <returns>The accuracy in [0, 1]; 0 when empty.</returns>
    public double Accuracy()
    {
        long correct = 0;
        for (int c = 0; c < Classes; c++)
            correct += _counts[c, c];
        return Total == 0 ? 0 : (double)correct / Total;
    }

    /// <summary>The share of samples of class <paramref name="actual"/> predicted correctly (recall).</summary>
    /// <param name="actual">The class.</param>
    /// <returns>The accuracy in [0, 1]; 0 when the class has no samples.</returns>
    public double ClassAccuracy(int actual)
    {
        long row = 0;
        for (int p = 0; p < Classes; p++)
            row += _counts[actual, p];
        return row == 0 ? 0 : (double)_counts[actual, actual] / row;
    }
}
