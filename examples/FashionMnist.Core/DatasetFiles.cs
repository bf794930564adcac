namespace FashionMnist;

/// <summary>The four .npy files a run reads: images uint8 (N, 1, H, W) and labels int64 (N,), for training and test.</summary>
/// <param name="TrainImages">Training images.</param>
/// <param name="TrainLabels">Training labels.</param>
/// <param name="TestImages">Test images.</param>
/// <param name="TestLabels">Test labels.</param>
public sealed record DatasetFiles(string TrainImages, string TrainLabels, string TestImages, string TestLabels);
