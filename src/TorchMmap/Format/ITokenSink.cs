namespace TorchMmap.Format;

/// <summary>Something tokens can be streamed into: a <see cref="TokenWriter"/> or a <see cref="TokenShardWriter"/>.</summary>
public interface ITokenSink
{
    /// <summary>Appends tokens.</summary>
    /// <param name="tokens">The tokens.</param>
    void Write(ReadOnlySpan<int> tokens);
}
