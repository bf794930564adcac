using System.Diagnostics.CodeAnalysis;

namespace TorchMmap.Internal;

/// <summary>Cold throws, kept out of the methods that check, so hot paths stay small and inlineable.</summary>
internal static class ThrowHelper
{
    /// <summary>Throws unless every index is in [0, <paramref name="length"/>).</summary>
    /// <param name="indices">The indices.</param>
    /// <param name="length">How many rows or samples there are.</param>
    /// <param name="owner">What is indexed, for the message (a quoted path, "the subset").</param>
    /// <param name="unit">"rows" or "samples".</param>
    /// <param name="paramName">The parameter the indices came in.</param>
    public static void ThrowIfAnyOutOfRange(ReadOnlySpan<long> indices, long length, string owner, string unit, string paramName)
    {
        for (int i = 0; i < indices.Length; i++)
        {
            if ((ulong)indices[i] >= (ulong)length)
                IndexOutOfRange(indices[i], i, length, owner, unit, paramName);
        }
    }

    /// <summary>Throws the library's one index-out-of-range exception.</summary>
    [DoesNotReturn]
    public static void IndexOutOfRange(long index, int position, long length, string owner, string unit, string paramName) =>
        throw new ArgumentOutOfRangeException(paramName, index, Messages.Format(Messages.IndexOutOfRange, index, position, owner, length, unit));

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> with a message from <see cref="Messages"/>.</summary>
    [DoesNotReturn]
    public static void ArgumentOutOfRange(string paramName, object? actualValue, string template, params object?[] args) =>
        throw new ArgumentOutOfRangeException(paramName, actualValue, Messages.Format(template, args));

    /// <summary>Throws <see cref="InvalidDataException"/> with a message from <see cref="Messages"/>.</summary>
    [DoesNotReturn]
    public static void InvalidData(string template, params object?[] args) =>
        throw new InvalidDataException(Messages.Format(template, args));

    /// <summary>Throws <see cref="NotSupportedException"/> with a message from <see cref="Messages"/>.</summary>
    [DoesNotReturn]
    public static void NotSupported(string template, params object?[] args) =>
        throw new NotSupportedException(Messages.Format(template, args));
}
