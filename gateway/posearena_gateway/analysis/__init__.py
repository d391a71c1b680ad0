"""Pure numerical core of the gateway's comparisons (numpy/scipy only, no gRPC).

Modules:
- `alignment`: rigid/similarity alignment (Kabsch, Umeyama), resampling, time offsets.
- `metrics`: MPJPE, P-MPJPE, N-MPJPE, MPJVE, PCK, per-joint errors (mm from metres).
- `angles`: clinical joint angles (degrees) from 3D joints with canonical names.
- `agreement`: RMSE, bias, Bland-Altman limits of agreement.
- `repetitions`: repetition detection and range of motion from an angle signal.
- `uncertainty`: confidence intervals by circular block bootstrap over frames.

Conventions: arrays are time-major (T, J, 3), metres, missing values NaN; angles in degrees;
time in seconds with frame i at i / fps.
"""
