namespace Distillery.Tests;

/// <summary>Finds files of the repository (data, fixtures) from the test's output folder.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();
    public static string UsFl => Path.Combine(Root, "data", "covid19-open-data", "US_FL.csv");
    public static string Fixture(string name) => Path.Combine(Root, "tests", "fixtures", name);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Distillery.sln"))) return dir.FullName;
        throw new InvalidOperationException("Distillery.sln not found above " + AppContext.BaseDirectory);
    }
}
