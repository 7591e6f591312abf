# nq-mock-engine with the metrics plugin, built from this repository with the
# same Debian packages as scripts/nq. Context: the repository root.
FROM debian:bookworm-slim AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      cmake ninja-build g++ libboost1.81-dev prometheus-cpp-dev libspdlog-dev libfmt-dev \
      libtomlplusplus-dev libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev libisal-dev libdeflate-dev libssl-dev \
    && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
    && cmake --build /build --target nq-mock-engine nq_metrics

FROM debian:bookworm-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      curl libspdlog1.10 libfmt9 zlib1g libisal2 libtomlplusplus3 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/bin/nq-mock-engine /usr/local/bin/
COPY --from=build /build/lib/libnq_hooks.so* /usr/local/lib/
COPY --from=build /build/lib/libnq_metrics.so /usr/local/lib/nq-metrics/
RUN ldconfig
EXPOSE 9470
USER nobody
ENTRYPOINT []
