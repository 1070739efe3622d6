namespace Distillery.Experiments;

/// <summary>The embedded default dataset (US_FL), shipped beside the program and in the repository.</summary>
public static class DefaultData
{
    public const string RelativePath = "data/covid19-open-data/US_FL.csv";

    public static string Path
    {
        get
        {
            var besideProgram = System.IO.Path.Combine(AppContext.BaseDirectory, RelativePath);
            return File.Exists(besideProgram) ? besideProgram : System.IO.Path.GetFullPath(RelativePath);
        }
    }
}
