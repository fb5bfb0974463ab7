package train

import (
	"math"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/data"
)

// ValidationSplit holds out a fraction of ds for validation, like Keras's
// validation_split, but drawn at random rather than from the end: it
// shuffles ds with a permutation fixed by seed (see data.Dataset.Split) and
// returns round(N·(1−fraction)) examples for training and the rest for
// validation, both copies. fraction must be in (0, 1), and both sides must
// get at least one example.
func ValidationSplit(ds *data.Dataset, fraction float64, seed uint64) (trainSet, val *data.Dataset, err error) {
	if !(fraction > 0 && fraction < 1) {
		return nil, nil, errors.Errorf("train: validation split %v is not in (0, 1)", fraction)
	}
	if ds.Len() == 0 {
		return nil, nil, errors.New("train: validation split of an empty data set")
	}
	nTrain := int(math.Round(float64(ds.N) * (1 - fraction)))
	if nTrain == 0 || nTrain == ds.N {
		return nil, nil, errors.Errorf("train: validation split %v of %d examples leaves %d for training and %d for validation; both need at least one",
			fraction, ds.N, nTrain, ds.N-nTrain)
	}
	trainSet, val, err = ds.Split(nTrain, seed)
	if err != nil {
		return nil, nil, errors.Wrap(err, "train: validation split")
	}
	return trainSet, val, nil
}
