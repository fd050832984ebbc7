/* Built against an installed libuvfio through pkg-config. */
#include <stdio.h>
#include <uvfio/uvfio.h>

int main(void)
{
	struct uvfio_device_info info = { .argsz = sizeof(info) };
	static const struct uvfio_device_ops ops;
	struct uvfio_device *dev = uvfio_device_new("consumer", &ops, NULL);

	if (!dev || uvfio_device_realize(dev) ||
	    uvfio_device_get_info(dev, &info))
		return 1;
	printf("consumer: %s has %u regions\n", uvfio_device_name(dev),
	       info.num_regions);
	uvfio_device_destroy(dev);
	return 0;
}
