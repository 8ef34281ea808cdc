namespace kpx {}
