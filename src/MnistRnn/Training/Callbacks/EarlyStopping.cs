namespace MnistRnn.Training.Callbacks;

/// <summary>
/// Stops training once <see cref="TrainingOptions.EarlyStopPatience"/> validations in a row have not improved on the
/// best, as Keras's <c>EarlyStopping(patience)</c>. The count lives in the validation records, so a resumed run goes on counting.
/// </summary>
internal sealed class EarlyStopping(int patience) : TrainingCallback
{
    public override void OnValidationEnd(TrainingContext context, ValidationRecord validation)
    {
        if (validation.ValidationsWithoutImprovement < patience || validation.Step >= context.Options.Steps) return;
        TrainingLog.StoppedEarly(context.Logger, validation.Step, validation.ValidationsWithoutImprovement, context.BestValidation!.Step);
        context.RequestStop(TrainingStop.EarlyStopping);
    }
}
