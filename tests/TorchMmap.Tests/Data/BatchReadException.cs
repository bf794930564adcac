namespace TorchMmap.Tests.Data;

/// <summary>The failure <see cref="TrackingDataset"/> simulates; a type of its own so a test cannot mistake another error for it.</summary>
internal sealed class BatchReadException(string message) : IOException(message);
