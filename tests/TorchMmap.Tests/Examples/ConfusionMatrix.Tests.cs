using FashionMnist;

namespace TorchMmap.Tests.Examples;

public sealed class ConfusionMatrixTests
{
    [Fact]
    public void Add_Pairs_CountsAccuracyAndPerClassRecall()
    {
        var matrix = new ConfusionMatrix(3);

        matrix.Add([0, 0, 0, 0, 1, 1, 2], [0, 0, 0, 1, 1, 2, 2]);

        Assert.Equal(7, matrix.Total);
        Assert.Equal(3, matrix[0, 0]);
        Assert.Equal(1, matrix[0, 1]);
        Assert.Equal(1, matrix[1, 2]);
        Assert.Equal(5 / 7.0, matrix.Accuracy(), 12);
        Assert.Equal(0.75, matrix.ClassAccuracy(0));
        Assert.Equal(0.5, matrix.ClassAccuracy(1));
        Assert.Equal(1.0, matrix.ClassAccuracy(2));
    }

    [Fact]
    public void Add_ClassOutOfRange_ThrowsArgument()
    {
        var matrix = new ConfusionMatrix(2);
        Assert.Throws<ArgumentException>(() => matrix.Add([0, 2], [0, 1]));
        Assert.Throws<ArgumentException>(() => matrix.Add([0], [0, 1]));
    }
}
