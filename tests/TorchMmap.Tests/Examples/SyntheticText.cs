using System.Text;

namespace TorchMmap.Tests.Examples;

/// <summary>Text with structure beyond character pairs: sentences drawn from a small seeded grammar.</summary>
internal static class SyntheticText
{
    private static readonly string[] s_subjects = ["the king", "a shepherd", "the people", "his servant", "the prophet"];
    private static readonly string[] s_verbs = ["went unto", "spake to", "blessed", "gathered", "feared"];
    private static readonly string[] s_objects = ["the city", "the river", "all the land", "the mountain", "his brethren"];

    /// <summary>Sentences, one per line, until the text holds at least <paramref name="characters"/> characters.</summary>
    public static string Make(int characters, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder(characters + 64);
        while (text.Length < characters)
        {
            text.Append(s_subjects[random.Next(s_subjects.Length)]).Append(' ')
                .Append(s_verbs[random.Next(s_verbs.Length)]).Append(' ')
                .Append(s_objects[random.Next(s_objects.Length)]).Append(".\n");
        }
        return text.ToString();
    }

    /// <summary>
    /// Documents separated by blank lines, as the King James Bible's chapters are: a heading (<c>"Chapter 3"</c>) and
    /// 60 to 400 characters of sentences each, until the text holds at least <paramref name="characters"/> characters.
    /// </summary>
    public static string MakeDocuments(int characters, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder(characters + 1024);
        for (int chapter = 1; text.Length < characters; chapter++)
        {
            if (text.Length > 0)
                text.Append('\n');
            text.Append("Chapter ").Append(chapter).Append('\n');
            text.Append(Make(random.Next(60, 400), random.Next()));
        }
        return text.ToString();
    }
}
