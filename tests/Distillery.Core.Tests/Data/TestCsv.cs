using System.Text;
using Distillery.Data;

namespace Distillery.Tests.Data;

internal static class TestCsv
{
    public static MemoryStream Stream(string text) => new(Encoding.UTF8.GetBytes(text));

    public static RawTable Read(string text, string source = "test.csv") => RawTableReader.Read(Stream(text), source);

    private static RawTable? _usFl;
    public static RawTable UsFl => _usFl ??= DataSource.LoadFile(RepoPaths.UsFl);

    public static string ErrorOf(Action action) => Assert.Throws<InvalidInputException>(action).Message;
}
