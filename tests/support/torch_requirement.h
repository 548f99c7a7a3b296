// Tests that compare with libtorch need the torch module. Built with STATELENS_TEST_WITH_TORCH
// (the `ci` preset, what CI builds), a module that fails to load fails those tests: a broken
// module must show as failed, never as "skipped". Without it (a build with no libtorch), they skip.
#pragma once

#include "core/runtime/torch_runtime.h"

#include <QTest>

// Use inside a test function, before anything that needs libtorch.
#ifdef STATELENS_TEST_WITH_TORCH
#define STATELENS_REQUIRE_TORCH_MODULE()                                                                              \
    do {                                                                                                               \
        const auto torchModule = statelens::TorchRuntime::instance().load();                                           \
        if (!torchModule)                                                                                              \
            QFAIL(qPrintable(QStringLiteral("STATELENS_TEST_WITH_TORCH is set but the torch module did not load: %1") \
                                 .arg(torchModule.error().message)));                                                 \
    } while (false)
#else
#define STATELENS_REQUIRE_TORCH_MODULE()                                \
    do {                                                                \
        if (!statelens::TorchRuntime::instance().load())               \
            QSKIP("built without the torch module");                   \
    } while (false)
#endif
