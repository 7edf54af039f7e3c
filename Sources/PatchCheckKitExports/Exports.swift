// PatchCheckKit is the layers together, for the executable and the tests.
@_exported import PatchCheckBase
@_exported import PatchCheckKernel
@_exported import PatchCheckRun
@_exported import PatchCheckSeries
@_exported import PatchCheckVerdict
@_exported import PatchCheckWorkflows
