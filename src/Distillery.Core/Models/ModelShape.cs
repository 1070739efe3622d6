namespace Distillery.Models;

/// <summary>Sizes of the two networks. Defaults are the study's. <paramref name="LinearHead"/>: no sigmoid on the
/// output (the outputs are changes under last-value normalisation, which may be negative); it has no parameters, so the
/// weights' names and counts are the same either way.</summary>
public sealed record ModelShape(
    int Features, int InputDays = 10, int OutputDays = 14,
    int TeacherHidden = 15, int TeacherLayers = 3, int TeacherHead = 25,
    int StudentHidden = 50, int StudentLayers = 2, bool LinearHead = false);

