namespace FashionMnist;

/// <summary>The names of Fashion-MNIST's ten classes, by label.</summary>
public static class FashionClasses
{
    /// <summary>Class names, indexed by label 0-9.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The name of a label, or the label itself when it has no name.</summary>
    /// <param name="label">The class label.</param>
    /// <returns>The name.</returns>
    public static string NameOf(int label) => label >= 0 && label < Names.Count ? Names[label] : $"class {label}";
}
