namespace Distillery.Models;

/// <summary>Sizes of the two networks. Defaults are the study's.</summary>
public sealed record ModelShape(
    int Features, int InputDays = 10, int OutputDays = 14,
    int TeacherHidden = 15, int TeacherLayers = 3, int TeacherHead = 25,
    int StudentHidden = 50, int StudentLayers = 2);

